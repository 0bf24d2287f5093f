import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { FILE_REF_MAX_LENGTH } from '@app/mirror';

export class FileRefParamDto {
  @ApiProperty({ description: 'The ref of a file link, as the API gave it', maxLength: FILE_REF_MAX_LENGTH })
  @IsString()
  @MaxLength(FILE_REF_MAX_LENGTH)
  ref: string;
}
